using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Scheduling.Schema.Introspection;

/// <summary>
/// The spec's <c>@specifiedBy(url:)</c> on a custom scalar: where its format is defined. Applied on the scalar, it is
/// printed in the SDL and answered as <c>__Type.specifiedByURL</c> (<see cref="CurrentIntrospection"/>).
/// </summary>
public sealed class SpecifiedByDirective : Directive
{
    public const string DirectiveName = "specifiedBy";
    public const string UrlArgument = "url";

    public SpecifiedByDirective()
        : base(DirectiveName, DirectiveLocation.Scalar)
    {
        Description = "Exposes a URL that specifies the behavior of this scalar.";
        Arguments = new QueryArguments(new QueryArgument<NonNullGraphType<StringGraphType>>
        {
            Name = UrlArgument,
            Description = "The URL that specifies the behavior of this scalar.",
        });
    }

    /// <summary>GraphQL.NET hides directives without an executable location; this one belongs to the schema's description.</summary>
    public override bool? Introspectable => true;

    /// <summary>The URL applied on <paramref name="type"/>, when it is a scalar that has one.</summary>
    public static string? UrlOf(IGraphType? type) =>
        type is ScalarGraphType scalar ? scalar.FindAppliedDirective(DirectiveName)?.FindArgument(UrlArgument)?.Value as string : null;
}
