"""Reading what people type: dates."""
