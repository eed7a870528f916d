"""Platform adapters. A provider knows one platform's wire contract and nothing else: no
database, no settings, no sleeping, no retries. The job layer decides what to do with the
classified errors it raises (see ``errors.py``)."""
