var builder = WebApplication.CreateBuilder(args);
builder.Services.AddEdgePhotoPipeline();
var app = builder.Build();
app.Run();
