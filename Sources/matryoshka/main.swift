import AdaptorCommands

MatryoshkaCommand.prepareProcess()
await MatryoshkaCommand.start()
