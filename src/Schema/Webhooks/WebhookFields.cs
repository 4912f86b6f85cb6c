using GraphQL;
using GraphQL.Types;
using GraphQL.Types.Relay.DataObjects;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Webhooks;

/// <summary>The webhook fields of Query and Mutation; every one is for admins only (<see cref="WebhookRegistry"/> checks).</summary>
public static class WebhookFields
{
    public static void AddQueries(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Field<NonNullGraphType<ConnectionGraphType<WebhookType, WebhookEndpoint>>>("webhooks")
            .Description("The registered webhooks (admins only).")
            .PagingArguments()
            .ResolveAsync(async c =>
            {
                var (offset, first) = Paging.Read(c);
                var all = await Query(() => Registry(c).ListAsync(c.CancellationToken));
                return Paging.Slice(all, offset, first);
            });

        query.Field<NonNullGraphType<ConnectionGraphType<WebhookDeliveryType, LoggedAttempt>>>("webhookDeliveries")
            .Description("A webhook's delivery log, newest attempt first (admins only); kept Webhooks:RetentionSeconds, at most Webhooks:MaxLogEntriesPerEndpoint attempts.")
            .Argument<NonNullGraphType<IdGraphType>>("webhookId", a => a.Description = "The webhook's global id.")
            .PagingArguments()
            .ResolveAsync(async c =>
            {
                var first = c.GetArgument<int?>("first") ?? Paging.DefaultPageSize;
                if (first is < 0 or > Paging.MaxPageSize)
                {
                    throw new UserInputError($"'first' must be between 0 and {Paging.MaxPageSize}.");
                }

                var webhookId = c.GetArgument<string>("webhookId");
                var page = await Query(() => Registry(c).DeliveriesAsync(webhookId, first, c.GetArgument<string?>("after"), c.CancellationToken));
                var edges = page.Items.Select(i => new Edge<LoggedAttempt> { Cursor = i.Cursor, Node = new LoggedAttempt(webhookId, i.Cursor, i.Attempt) }).ToList();
                return new Connection<LoggedAttempt>
                {
                    Edges = edges,
                    PageInfo = new PageInfo
                    {
                        HasNextPage = page.HasMore,
                        HasPreviousPage = c.GetArgument<string?>("after") is not null,
                        StartCursor = edges.FirstOrDefault()?.Cursor,
                        EndCursor = edges.LastOrDefault()?.Cursor,
                    },
                };
            });
    }

    public static void AddMutations(ObjectGraphType mutation)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        mutation.Field<NonNullGraphType<RegisterWebhookPayloadType>>("registerWebhook")
            .Description("Registers an endpoint for signed appointment events (admins only); the payload carries its signing secret, shown this once.")
            .Argument<NonNullGraphType<RegisterWebhookInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<RegisterWebhookInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId,
                    () => Registry(c).RegisterAsync(input.Url, input.Events?.ToList(), input.Description, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<RotateWebhookSecretPayloadType>>("rotateWebhookSecret")
            .Description("Gives a webhook a new signing secret (admins only); the old one stops verifying at once.")
            .Argument<NonNullGraphType<WebhookIdInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<WebhookIdInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Registry(c).RotateSecretAsync(input.WebhookId, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<DeleteWebhookPayloadType>>("deleteWebhook")
            .Description("Deletes a webhook (admins only): nothing more is sent to it.")
            .Argument<NonNullGraphType<DeleteWebhookInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<WebhookIdInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Registry(c).DeleteAsync(input.WebhookId, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<ReplayWebhookDeliveriesPayloadType>>("replayWebhookDeliveries")
            .Description("Sends events to a webhook again, with their original event ids (admins only): the given ones, or every one in its log since a time.")
            .Argument<NonNullGraphType<ReplayWebhookDeliveriesInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<ReplayWebhookDeliveriesInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId,
                    () => Registry(c).ReplayAsync(input.WebhookId, input.EventIds?.ToList(), input.Since, c.CancellationToken));
            });
    }

    private static WebhookRegistry Registry(IResolveFieldContext context) => context.RequestServices!.GetRequiredService<WebhookRegistry>();

    /// <summary>A query's refusal as a coded error (a denial stays the FORBIDDEN error it is).</summary>
    private static async Task<T> Query<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (SchedulingException e)
        {
            throw new ExecutionError(e.Error.Message) { Code = e.Error.Code == SchedulingErrorCode.NotFound ? "NOT_FOUND" : "BAD_USER_INPUT" };
        }
    }
}

public sealed record RegisterWebhookInput
{
    public string Url { get; init; } = string.Empty;

    public IEnumerable<WebhookEventType>? Events { get; init; }

    public string? Description { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record WebhookIdInput
{
    public string WebhookId { get; init; } = string.Empty;

    public string? ClientMutationId { get; init; }
}

public sealed record ReplayWebhookDeliveriesInput
{
    public string WebhookId { get; init; } = string.Empty;

    public IEnumerable<string>? EventIds { get; init; }

    public DateTimeOffset? Since { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed class RegisterWebhookInputType : InputObjectGraphType<RegisterWebhookInput>
{
    public RegisterWebhookInputType()
    {
        Name = "RegisterWebhookInput";
        Description = "Where registerWebhook sends events, and which.";
        Field<NonNullGraphType<StringGraphType>>("url").Description("An https URL on a public address (Webhooks:AllowHttp and AllowPrivateNetworks open that for tests).");
        Field<ListGraphType<NonNullGraphType<WebhookEventTypeType>>>("events").Description("The event types to receive; null or empty: every type.");
        Field<StringGraphType>("description").Description("What it is for (at most 500 characters).");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class WebhookIdInputType : InputObjectGraphType<WebhookIdInput>
{
    public WebhookIdInputType()
    {
        Name = "RotateWebhookSecretInput";
        Description = "Which webhook rotateWebhookSecret gives a new secret.";
        Field<NonNullGraphType<IdGraphType>>("webhookId").Description("The webhook's global id.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class DeleteWebhookInputType : InputObjectGraphType<WebhookIdInput>
{
    public DeleteWebhookInputType()
    {
        Name = "DeleteWebhookInput";
        Description = "Which webhook deleteWebhook deletes.";
        Field<NonNullGraphType<IdGraphType>>("webhookId").Description("The webhook's global id.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class ReplayWebhookDeliveriesInputType : InputObjectGraphType<ReplayWebhookDeliveriesInput>
{
    public ReplayWebhookDeliveriesInputType()
    {
        Name = "ReplayWebhookDeliveriesInput";
        Description = "Which events replayWebhookDeliveries sends again: eventIds, or since (exactly one).";
        Field<NonNullGraphType<IdGraphType>>("webhookId").Description("The webhook's global id.");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("eventIds").Description("Event ids as deliveries carried them (Scheduling-Event-Id).");
        Field<IsoDateTimeGraphType>("since").Description("Every event in the webhook's delivery log that happened at or after this instant.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class RegisterWebhookPayloadType : PayloadBaseGraphType<WebhookWithSecret>
{
    public RegisterWebhookPayloadType()
        : base("RegisterWebhookPayload", SchedulingErrorCode.ValidationFailed)
    {
        Field<WebhookType>("webhook").Description("The webhook; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Webhook);
        Field<StringGraphType>("secret").Description("Its signing secret, shown only here: verify each delivery's Scheduling-Signature with it.").Resolve(c => c.Source.Result?.Secret);
    }
}

public sealed class RotateWebhookSecretPayloadType : PayloadBaseGraphType<WebhookWithSecret>
{
    public RotateWebhookSecretPayloadType()
        : base("RotateWebhookSecretPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound)
    {
        Field<WebhookType>("webhook").Description("The webhook; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Webhook);
        Field<StringGraphType>("secret").Description("Its new signing secret, shown only here.").Resolve(c => c.Source.Result?.Secret);
    }
}

public sealed class DeleteWebhookPayloadType : PayloadBaseGraphType<string>
{
    public DeleteWebhookPayloadType()
        : base("DeleteWebhookPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound) =>
        Field<IdGraphType>("deletedWebhookId").Description("The deleted webhook's global id; null when errors stopped the mutation.")
            .Resolve(c => c.Source.Result is { } id ? WebhookRegistry.GlobalIdOf(id) : null);
}

public sealed class ReplayWebhookDeliveriesPayloadType : PayloadBaseGraphType<(WebhookEndpoint Webhook, IReadOnlyList<string> EventIds)>
{
    public ReplayWebhookDeliveriesPayloadType()
        : base("ReplayWebhookDeliveriesPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound)
    {
        Field<WebhookType>("webhook").Description("The webhook; null when errors stopped the mutation.").Resolve(c => c.Source.Result.Webhook);
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("eventIds")
            .Description("The events queued again (those no longer kept, past Webhooks:RetentionSeconds, are left out); null when errors stopped the mutation.")
            .Resolve(c => c.Source.Errors.Count > 0 ? null : c.Source.Result.EventIds);
    }
}
