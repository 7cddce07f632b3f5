using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Offers;

/// <summary>Offers as a table, cheapest first as the control plane ranks them.</summary>
internal static class OfferTable
{
    public static void Write(Terminal terminal, IEnumerable<Offer> offers)
    {
        var table = terminal.NewTable("CLOUD", "REGION", "ZONE", "INSTANCE", "GPUS", "MARKET", "$/H", "$/GPU-H");
        foreach (var offer in offers)
        {
            Terminal.AddRow(
                table,
                Formats.OrDash(offer.Cloud),
                Formats.OrDash(offer.Region),
                Formats.OrDash(offer.Zone),
                Formats.OrDash(offer.InstanceType),
                Formats.Gpus(offer.GpuType, offer.GpuCount),
                offer.Spot ? "spot" : "on-demand",
                Formats.Price(offer.PricePerHour),
                Formats.Price(offer.PricePerGpuHour));
        }

        terminal.Write(table);
    }
}
