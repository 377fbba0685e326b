"""Read-only reports: backorder aging, backorders by product, the timeline,
fill rate and the dashboard's figures. Nothing here writes."""
