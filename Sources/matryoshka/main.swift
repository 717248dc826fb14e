import AdaptorCommands

MatryoshkaCommand.main()
