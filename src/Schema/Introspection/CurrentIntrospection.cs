using GraphQL;
using GraphQL.Introspection;
using GraphQL.Resolvers;
using GraphQL.Types;

namespace Scheduling.Schema.Introspection;

/// <summary>
/// Introspection as current tools ask for it (graphql-js's <c>getIntrospectionQuery</c> with every option on):
/// <c>isRepeatable</c> on directives, deprecated arguments and input fields (<c>includeDeprecated</c>,
/// <c>isDeprecated</c>, <c>deprecationReason</c>), <c>specifiedByURL</c> on scalars and <c>includeDeprecated</c> on a
/// directive's arguments. GraphQL.NET 8 has the first two as schema features; the last two it lacks, so they are
/// added to its introspection types before the schema initializes them. <c>isRepeatable</c> is listed among
/// <c>__Directive</c>'s fields too: tools that first ask which fields introspection has (Banana Cake Pop) use only those.
/// </summary>
public static class CurrentIntrospection
{
    public static void Enable(GraphQL.Types.Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        schema.Features.RepeatableDirectives = true;
        schema.Features.DeprecationOfInputValues = true;
        schema.Directives.Register(new SpecifiedByDirective());
        schema.Filter = new ListsIsRepeatable();
    }

    /// <summary>Called for every graph type before the schema initializes it (<c>Schema.OnBeforeInitializeType</c>).</summary>
    public static void Extend(IGraphType graphType)
    {
        switch (graphType)
        {
            case __Type type:
                type.AddField(new FieldType
                {
                    Name = "specifiedByURL",
                    Type = typeof(StringGraphType),
                    Resolver = new FuncFieldResolver<IGraphType, string>(context => SpecifiedByDirective.UrlOf(context.Source)),
                });
                break;
            case __Directive directive:
                var args = directive.GetField("args") ?? throw new InvalidOperationException("__Directive has no args field.");
                args.Arguments ??= new QueryArguments();
                args.Arguments.Add(new QueryArgument<BooleanGraphType> { Name = "includeDeprecated", DefaultValue = false });
                args.Resolver = new FuncFieldResolver<Directive, IEnumerable<QueryArgument>>(context =>
                {
                    IEnumerable<QueryArgument> all = context.Source.Arguments ?? [];
                    return context.GetArgument("includeDeprecated", false) ? all : all.Where(a => string.IsNullOrWhiteSpace(a.DeprecationReason));
                });
                break;
        }
    }

    /// <summary>GraphQL.NET's default filter hides <c>__Directive.isRepeatable</c> from <c>__type(name: "__Directive") { fields }</c>.</summary>
    private sealed class ListsIsRepeatable : DefaultSchemaFilter
    {
        public override Task<bool> AllowField(IGraphType parent, IFieldType field) =>
            parent is __Directive && field.Name == "isRepeatable" ? Allowed : base.AllowField(parent, field);
    }
}
