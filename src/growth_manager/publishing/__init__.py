"""Publishing: when posts go out (time zones, queue slots) and how long texts become threads."""
