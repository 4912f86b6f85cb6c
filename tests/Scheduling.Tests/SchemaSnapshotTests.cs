using GraphQL;
using GraphQL.Types;
using GraphQL.Utilities;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Testing;
using Scheduling.Tests.Queries;
using Snapshooter;
using Snapshooter.Xunit;

namespace Scheduling.Tests;

/// <summary>
/// The schema the gateway serves must be the committed <c>schema.graphql</c> at the repository root (Snapshooter
/// reads it through <c>__snapshots__/schema.graphql</c>, a symlink to it). After an intended change, run
/// <c>scripts/update-schema.sh</c>; in CI (CI=true) a missing or different snapshot fails.
/// </summary>
public sealed class SchemaSnapshotTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    [Fact]
    public void The_served_schema_matches_schema_graphql()
    {
        var schema = fixture.Gateway.Services.GetRequiredService<ISchema>();
        var sdl = schema.Print(new PrintOptions { IncludeDescriptions = true, IncludeDeprecationReasons = true });
        Snapshot.Match(sdl, new SnapshotFullName("schema.graphql", Path.Combine(RepoPaths.Root, "tests", "Scheduling.Tests")));
    }
}
