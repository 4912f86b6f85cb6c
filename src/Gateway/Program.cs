using Scheduling.Gateway;

var builder = WebApplication.CreateBuilder(args);
builder.AddSchedulingGateway();

var app = builder.Build();
app.MapSchedulingGateway();
await app.RunAsync();
