import DataRaterCLI

DataRaterCommand.main()
