"""Domain helpers more than one agency uses: calendar arithmetic, contact details from settlement."""
