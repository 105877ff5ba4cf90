from teamigrate.cli import main

main()
