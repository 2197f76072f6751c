"""The `biddesk` subcommands, one module per room."""
