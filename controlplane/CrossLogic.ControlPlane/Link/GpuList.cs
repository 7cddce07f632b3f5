using CrossLogic.Contracts.V1;
using Google.Protobuf;

namespace CrossLogic.ControlPlane.Link;

/// <summary>A GPU inventory stored as protobuf bytes (a length-delimited sequence of GpuDevice).</summary>
internal sealed class GpuList(IEnumerable<GpuDevice> gpus)
{
    public IReadOnlyList<GpuDevice> Gpus { get; } = gpus.ToList();

    public byte[] ToByteArray()
    {
        using var stream = new MemoryStream();
        foreach (var gpu in Gpus)
        {
            gpu.WriteDelimitedTo(stream);
        }

        return stream.ToArray();
    }

    public static GpuList Parse(byte[]? bytes)
    {
        var gpus = new List<GpuDevice>();
        if (bytes is { Length: > 0 })
        {
            using var stream = new MemoryStream(bytes);
            while (stream.Position < stream.Length)
            {
                gpus.Add(GpuDevice.Parser.ParseDelimitedFrom(stream));
            }
        }

        return new GpuList(gpus);
    }
}
