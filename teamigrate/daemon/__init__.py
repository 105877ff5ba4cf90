"""The daemon that keeps teamigrate imported for the hooks' commands: its wire protocol, its control side and its serving loop."""
