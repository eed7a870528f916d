"""Publishing: compose, publish now, schedule and queue; the dispatcher that claims due targets;
the attempts that audit every try."""
