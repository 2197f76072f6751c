"""BidDesk: a desktop bidding assistant for GigRadar, UpHunt and Gigiac."""

__version__ = "0.1.0"
