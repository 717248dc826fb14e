import AdaptorCommands

MatryoshkaCommand.prepareProcess()
MatryoshkaCommand.main()
