"""ShopLens: orders, support tickets and sales analytics for a small web shop."""
