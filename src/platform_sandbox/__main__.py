from platform_sandbox.server import cli

cli()
