using CrossLogic.Testing;
using Grpc.Reflection.V1Alpha;

namespace CrossLogic.IntegrationTests;

/// <summary>How the control plane starts and what it shows an operator's grpcurl.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ControlPlaneStartupTests(PostgresFixture db)
{
    [Fact]
    public async Task With_the_database_unreachable_it_retries_with_a_clear_log_line_and_starts_when_it_comes_up()
    {
        var port = FreePort.Next();
        await using var controlPlane = await ControlPlaneProcess.StartAsync(
            $"Host=127.0.0.1;Port={port};Username=postgres;Database=crosslogic;Timeout=2", waitUntilServing: false);

        await controlPlane.Process.WaitForOutputAsync($"PostgreSQL at 127.0.0.1:{port} (database crosslogic) unreachable", TimeSpan.FromSeconds(20));
        Assert.False(controlPlane.Process.HasExited);

        await using var late = await TempPostgres.StartAsync(port);
        await controlPlane.WaitUntilServingAsync(TimeSpan.FromSeconds(30));
        var response = await controlPlane.Fleet.ListNodesAsync(new Contracts.V1.ListNodesRequest());
        Assert.Empty(response.Nodes);
    }

    [Fact]
    public async Task Server_reflection_lists_every_service_for_grpcurl()
    {
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);
        var reflection = new ServerReflection.ServerReflectionClient(controlPlane.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(default));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("crosslogic.v1.Fleet", services);
        Assert.Contains("crosslogic.v1.NodeLink", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
