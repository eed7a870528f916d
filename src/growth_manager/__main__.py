from growth_manager.cli import main

main()
