"""diemtin: provincial ICT news digests turned into personal chat alerts."""

__version__ = "0.1.0"
