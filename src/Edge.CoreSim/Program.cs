using Edge.CoreSim.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

var builder = WebApplication.CreateBuilder(args);
builder.UseCoreSimulatorDefaultEndpoint();

builder.Services.AddCoreSimulator();
builder.Services.AddGrpcHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy());
builder.Services.AddGrpcReflection();

var app = builder.Build();
app.MapCoreSimulator();
app.MapGrpcHealthChecksService();
app.MapGrpcReflectionService();
app.Run();
