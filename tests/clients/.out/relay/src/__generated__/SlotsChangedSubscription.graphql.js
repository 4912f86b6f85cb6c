/**
 * @generated SignedSource<<eb3423c28dd47999d7e70fa9638360ee>>
 * @lightSyntaxTransform
 */

/* eslint-disable */

'use strict';

var node = (function(){
var v0 = [
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "scheduleIds"
  }
],
v1 = [
  {
    "alias": null,
    "args": [
      {
        "kind": "Variable",
        "name": "scheduleIds",
        "variableName": "scheduleIds"
      }
    ],
    "concreteType": "SlotChanged",
    "kind": "LinkedField",
    "name": "slotsChanged",
    "plural": false,
    "selections": [
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "kind",
        "storageKey": null
      },
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "slotId",
        "storageKey": null
      },
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "versionId",
        "storageKey": null
      },
      {
        "alias": null,
        "args": null,
        "concreteType": "Slot",
        "kind": "LinkedField",
        "name": "slot",
        "plural": false,
        "selections": [
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "id",
            "storageKey": null
          },
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "status",
            "storageKey": null
          },
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "start",
            "storageKey": null
          },
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "end",
            "storageKey": null
          }
        ],
        "storageKey": null
      },
      {
        "alias": null,
        "args": null,
        "concreteType": "RefetchRequired",
        "kind": "LinkedField",
        "name": "refetch",
        "plural": false,
        "selections": [
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "reason",
            "storageKey": null
          },
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "eventId",
            "storageKey": null
          }
        ],
        "storageKey": null
      }
    ],
    "storageKey": null
  }
];
return {
  "fragment": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Fragment",
    "metadata": null,
    "name": "SlotsChangedSubscription",
    "selections": (v1/*:: as any*/),
    "type": "Subscription",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Operation",
    "name": "SlotsChangedSubscription",
    "selections": (v1/*:: as any*/)
  },
  "params": {
    "cacheID": "c8ff2f16424a6a312419c9238473f9aa",
    "id": null,
    "metadata": {},
    "name": "SlotsChangedSubscription",
    "operationKind": "subscription",
    "text": "subscription SlotsChangedSubscription(\n  $scheduleIds: [ID!]!\n) {\n  slotsChanged(scheduleIds: $scheduleIds) {\n    kind\n    slotId\n    versionId\n    slot {\n      id\n      status\n      start\n      end\n    }\n    refetch {\n      reason\n      eventId\n    }\n  }\n}\n"
  }
};
})();

node.hash = "b076237a1efd051d53c569c6c87a51da";

module.exports = node;
