"""Platform sandbox: a local emulator of the X, LinkedIn and Meta Graph APIs.

It speaks the platforms' real wire contracts under path prefixes named after the real hosts
(``{sandbox}/api.x.com/2/tweets``), so a client's base URL is the only thing that changes.
It imports nothing from ``growth_manager``.
"""
