namespace CrossLogic.Agent.Gpu;

/// <summary>
/// Which XID errors take a GPU out of service. From NVIDIA's XID catalog (docs.nvidia.com/deploy/xid-errors): the
/// ones whose recommended action is a GPU reset, node reboot or hardware check, i.e. the GPU cannot be trusted with
/// more work. Application-caused XIDs (13, 31, 43, 45, …) are reported as events but do not fail the node: the engine
/// crash they accompany is handled by engine supervision.
/// </summary>
internal static class XidCatalog
{
    private static readonly Dictionary<ulong, string> Fatal = new()
    {
        [48] = "double-bit ECC error",
        [61] = "internal micro-controller breakpoint/warning",
        [62] = "internal micro-controller halt",
        [63] = "ECC page retirement or row remapping recorded (reset needed to take effect)",
        [64] = "ECC page retirement or row remapping failure",
        [74] = "NVLink error",
        [79] = "GPU has fallen off the bus",
        [92] = "high single-bit ECC error rate",
        [94] = "contained ECC error (reset needed)",
        [95] = "uncontained ECC error",
        [119] = "GSP RPC timeout",
        [120] = "GSP error",
        [140] = "unrecovered ECC error",
    };

    public static bool IsFatal(ulong xid) => Fatal.ContainsKey(xid);

    public static string Describe(ulong xid) => Fatal.TryGetValue(xid, out var text) ? $"XID {xid}: {text}" : $"XID {xid}";
}
