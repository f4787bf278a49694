"""Reading what people type: dates and months."""
