"""The business overview: the dashboard's home page for one business."""
