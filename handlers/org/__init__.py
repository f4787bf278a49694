"""The org chart: its file and import, who leaves, people's own settings, clients."""
