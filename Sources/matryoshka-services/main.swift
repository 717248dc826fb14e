import ServiceCommands

await ServicesCommand.start()
