"""kefu 客服 — after-sales and complaint handling for e-commerce platforms."""

__version__ = "0.1.0"
