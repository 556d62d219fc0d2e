"""The `energycloud` subcommands, one module per kind; energycloud.cli registers them."""
