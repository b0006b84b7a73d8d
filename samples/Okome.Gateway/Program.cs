using Okome.Gateway.Hosting;

// The OKOME gateway: the frontend node on YARP in front of the OKOME service instances. See README.md for every key.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddOkomeGateway(builder.Configuration);

var app = builder.Build();
app.MapOkomeGateway();
await app.RunAsync();

/// <summary>The entry point.</summary>
public partial class Program;
