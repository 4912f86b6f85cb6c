namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>
/// The operations running on one socket, by their ids: admitted under the per-socket caps
/// (<see cref="OperationAdmission"/>), each with its own cancellation and, once under way, what stops it.
/// </summary>
internal sealed class SocketOperations(GraphQLWebSocketOptions options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Operation> _operations = new(StringComparer.Ordinal);

    public abstract record Admission;

    /// <summary>The id is in use (the protocol closes the socket with 4409).</summary>
    public sealed record Duplicate : Admission;

    /// <summary>Over a cap: this operation is refused with a coded error, the socket carries on.</summary>
    public sealed record Refused(string Code, string Message) : Admission;

    public sealed record Admitted(Operation Operation) : Admission;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _operations.Count;
            }
        }
    }

    /// <summary>Registers a new operation under its id, unless the id is in use or a cap is reached.</summary>
    public Admission Admit(string id, bool isSubscription, CancellationToken connection)
    {
        lock (_gate)
        {
            if (_operations.ContainsKey(id))
            {
                return new Duplicate();
            }

            if (OperationAdmission.Refusal(_operations.Count, _operations.Values.Count(o => o.IsSubscription), isSubscription, options) is var (code, message))
            {
                return new Refused(code, message);
            }

            var operation = new Operation(id, isSubscription, connection);
            _operations[id] = operation;
            return new Admitted(operation);
        }
    }

    /// <summary>Stops the operation under this id (when given, only if it is still that one); whether it was running.</summary>
    public bool Stop(string id, Operation? only = null)
    {
        Operation? operation;
        lock (_gate)
        {
            if (!_operations.TryGetValue(id, out operation) || (only is not null && operation != only))
            {
                return false;
            }

            _operations.Remove(id);
        }

        operation.Dispose();
        return true;
    }

    public void StopAll()
    {
        List<Operation> operations;
        lock (_gate)
        {
            operations = [.. _operations.Values];
            _operations.Clear();
        }

        foreach (var operation in operations)
        {
            operation.Dispose();
        }
    }

    /// <summary>One running operation: its cancellation and, once under way, what stops it (its subscription and scope).</summary>
    public sealed class Operation(string id, bool isSubscription, CancellationToken connection) : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = CancellationTokenSource.CreateLinkedTokenSource(connection);
        private readonly Lock _gate = new();
        private IDisposable? _running;
        private bool _stopped;

        public string Id { get; } = id;

        /// <summary>Whether it counts against the socket's subscription cap (decided when it was admitted).</summary>
        public bool IsSubscription { get; } = isSubscription;

        public CancellationToken Cancellation => _cancellation.Token;

        public bool Stopped => Volatile.Read(ref _stopped);

        /// <summary>What stops the operation once under way; stopped at once if the operation already has.</summary>
        public void Attach(IDisposable? running)
        {
            lock (_gate)
            {
                if (!_stopped)
                {
                    _running = running;
                    return;
                }
            }

            running?.Dispose();
        }

        public void Dispose()
        {
            IDisposable? running;
            lock (_gate)
            {
                if (_stopped)
                {
                    return;
                }

                _stopped = true;
                running = _running;
            }

            running?.Dispose();
            _cancellation.Cancel();
            _cancellation.Dispose();
        }
    }
}
