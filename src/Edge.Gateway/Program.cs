using Edge.Gateway.Hosting;
using Edge.Gateway.Security;

if (args is [MintTokenCommand.Name, ..])
{
    return MintTokenCommand.Run(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddEdgeGateway();

var app = builder.Build();
app.MapEdgeGateway();
app.Run();
return 0;
