"""The public token API (DRF): list, detail, pools, refresh."""
