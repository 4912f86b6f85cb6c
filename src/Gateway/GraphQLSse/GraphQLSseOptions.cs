using System.ComponentModel.DataAnnotations;

namespace Scheduling.Gateway.GraphQLSse;

/// <summary>Bound from the <c>Sse</c> section: GraphQL over Server-Sent Events.</summary>
public sealed class GraphQLSseOptions
{
    public const string SectionName = "Sse";

    /// <summary>
    /// A comment line (<c>:</c>) is sent on every open stream this often, so proxies and load balancers that close idle
    /// connections keep it open (60 s is a common idle timeout); 0 turns it off.
    /// </summary>
    [Range(0, 600)]
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>Events queued for one client before it counts as not reading and its stream is cut off.</summary>
    [Range(1, 1_000_000)]
    public int SendQueueLength { get; set; } = 1000;
}
