using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Events;

/// <summary>One event as one line: time, subject, kind, reason.</summary>
internal static class EventLine
{
    public static string Format(WatchEventsResponse response) => response.EventCase switch
    {
        WatchEventsResponse.EventOneofCase.NodeEvent => Line(response.NodeEvent.Time, "nodes/" + response.NodeEvent.NodeId, response.NodeEvent.Kind, response.NodeEvent.Reason),
        WatchEventsResponse.EventOneofCase.DeploymentEvent => Line(response.DeploymentEvent.Time, "deployments/" + response.DeploymentEvent.DeploymentId, response.DeploymentEvent.Kind, response.DeploymentEvent.Reason),
        _ => Line(null, "-", "UNKNOWN", "an event of a kind this clctl does not know"),
    };

    private static string Line(Google.Protobuf.WellKnownTypes.Timestamp? time, string subject, string kind, string reason) =>
        $"{Formats.Time(time)}  {subject,-40}  {kind,-20}  {reason}".TrimEnd();
}
