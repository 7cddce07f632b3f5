using CrossLogic.ControlPlane.Auth;
using CrossLogic.ControlPlane.Fleet;
using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Health;
using CrossLogic.ControlPlane.Hosting;
using CrossLogic.ControlPlane.Link;
using CrossLogic.ControlPlane.Observability;
using CrossLogic.ControlPlane.Store;

// appsettings.json sits beside the binary, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.UseControlPlaneEndpoints();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services
    .AddStore(builder.Configuration)
    .AddAuth()
    .AddLink()
    .AddHealth()
    .AddGateway()
    .AddFleet(builder.Configuration)
    .AddObservability()
    .AddAdminApi();

var app = builder.Build();
app.MapControlPlane();
app.Run();
