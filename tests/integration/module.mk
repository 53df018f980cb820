# (placeholder)
