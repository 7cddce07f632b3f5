using CrossLogic.ControlPlane.Fleet.Provisioning;
using CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;
using CrossLogic.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Tests.Fleet;

public sealed class TaskTemplateTests
{
    private static readonly LaunchSpec Spec = new(
        "cic-aws-us-east-1-h100-spot-a1b2c3", "cic-aws-us-east-1-h100-spot-a1b2c3", "meta-llama/Llama-3.1-8B-Instruct",
        ["--max-model-len=8192", "--enable-prefix-caching"], "H100", 1, "aws", "us-east-1", true, "cln_SECRET-TOKEN", "clek_SECRET-KEY");

    [Fact]
    public void A_plain_http_agent_url_is_refused() =>
        Assert.Contains("https://", Assert.Throws<ProvisionException>(() => Provisioner(url: "http://downloads.example.com/a.tar.gz").RenderTask(Spec)).Message);

    private static SkyPilotProvisioner Provisioner(string? url = null, string agentSha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    {
        var options = Options.Create(new SkyPilotOptions
        {
            TaskTemplate = Path.Combine(RepoPaths.Root, "packaging", "skypilot", "node-task.yaml"),
            ControlPlaneUrl = "https://cp.example.com:7001",
            AgentUrl = url ?? "https://downloads.example.com/v0.1.0/crosslogic-agent.tar.gz",
            AgentSha256 = agentSha,
        });
        return new SkyPilotProvisioner(new SkyCli(options, NullLogger<SkyCli>.Instance), options, NullLogger<SkyPilotProvisioner>.Instance);
    }

    [Fact]
    public void The_rendered_task_has_the_resources_and_no_secret()
    {
        var yaml = Provisioner().RenderTask(Spec);
        Assert.Contains("name: \"cic-aws-us-east-1-h100-spot-a1b2c3\"", yaml);
        Assert.Contains("accelerators: \"H100:1\"", yaml);
        Assert.Contains("infra: \"aws/us-east-1\"", yaml);
        Assert.Contains("use_spot: true", yaml);
        Assert.Contains("disk_size: 256", yaml);
        Assert.Contains("CROSSLOGIC_ENGINE_ARGS: \"--max-model-len=8192 --enable-prefix-caching\"", yaml);
        Assert.Contains("CROSSLOGIC_NODE_TOKEN: null", yaml);
        Assert.DoesNotContain("SECRET", yaml);
        Assert.DoesNotContain("{{", yaml);
    }

    [Fact]
    public void A_free_placement_leaves_the_choice_to_the_optimizer()
    {
        var yaml = Provisioner().RenderTask(Spec with { Cloud = "", Region = "" });
        Assert.DoesNotContain("\n  infra:", yaml);
        Assert.Contains("# infra: chosen by SkyPilot's optimizer", yaml);
    }

    [Fact]
    public void Values_are_quoted_so_no_value_can_inject_yaml()
    {
        Assert.Equal("\"a: b\\n  evil: \\\"x\\\" # c\"", TaskTemplate.Quote("a: b\n  evil: \"x\" # c"));
        Assert.Throws<InvalidOperationException>(() => TaskTemplate.Render("x: {{missing}}", new Dictionary<string, string>(), new Dictionary<string, object>(), "", ""));
    }

    [Fact]
    public async Task The_install_script_refuses_a_binary_whose_checksum_differs_before_installing_anything()
    {
        var binary = Path.GetTempFileName();
        await File.WriteAllTextAsync(binary, "not the agent");
        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { Path.Combine(RepoPaths.Root, "packaging", "install-agent.sh"), binary, new string('0', 64), "/dev/null" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["CROSSLOGIC_NODE_ID"] = "n1", ["CROSSLOGIC_CONTROL_PLANE_URL"] = "https://cp", ["CROSSLOGIC_MODEL"] = "m",
            ["CROSSLOGIC_NODE_TOKEN"] = "t", ["CROSSLOGIC_ENGINE_API_KEY"] = "k",
        })
        {
            start.Environment[key] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        File.Delete(binary);
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("refusing to install", stderr);
    }

    [Fact]
    public void Without_an_agent_checksum_nothing_is_launched()
    {
        var error = Assert.Throws<ProvisionException>(() => Provisioner(agentSha: "").RenderTask(Spec));
        Assert.Equal(ProvisionFailure.Invalid, error.Failure);
        Assert.Contains("AgentSha256", error.Message);
    }
}
