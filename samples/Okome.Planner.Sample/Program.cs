using Okome.Planner.Sample.Hosting;

// The OKOME service: an OpenAI-compatible front for a GPU upstream. See README.md for every configuration key.
var builder = WebApplication.CreateBuilder(args);
BufferedConsoleLoggerProvider.ReplaceConsole(builder.Logging, typeof(Program).Assembly); // log lines buffered; not in a test host
InlineSocketScheduling.Apply(builder.WebHost, Environment.GetEnvironmentVariable(InlineSocketScheduling.Variable)); // opt-in
builder.Services.AddOkomeService(builder.Configuration);

var app = builder.Build();
app.MapOkomeService();
await app.RunAsync();

/// <summary>The entry point; public so that tests can host the service with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
