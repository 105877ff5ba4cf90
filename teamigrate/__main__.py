from teamigrate.launch import main

main()
