using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Security;

if (args is [MintTokenCommand.Name, ..])
{
    return MintTokenCommand.Run(args[1..]);
}

if (args is [RevokeCommand.TokenName or RevokeCommand.DeviceName, ..])
{
    return await RevokeCommand.RunAsync(args[0], args[1..]);
}

if (args is [DeadLettersCommand.Name, ..])
{
    return await DeadLettersCommand.RunAsync(args[1..]);
}

// The process is about to end: say why on stderr, which needs no logger still running.
AppDomain.CurrentDomain.UnhandledException += (_, e) => Console.Error.WriteLine($"Edge gateway: unhandled exception, the process ends: {e.ExceptionObject}");
ThreadPoolWarmup.Start(ThreadPoolWarmup.DefaultWorkers);
var builder = WebApplication.CreateBuilder(args);
builder.AddEdgeGateway();

var app = builder.Build();
app.MapEdgeGateway();
await app.RunAsync();
return 0;
