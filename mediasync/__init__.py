"""mediasync: keep a local folder in one-way sync with a GoHighLevel Media Library."""

__version__ = "0.1.0"
