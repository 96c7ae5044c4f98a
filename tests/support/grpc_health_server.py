#!/usr/bin/env python3
"""A gRPC health server for the tests, on Debian's python3-grpcio.

Serves grpc.health.v1.Health/Check through a generic handler: with no (de)serializers the
handler gets and returns raw bytes, and both messages have one field, so they are read and
written here by hand. Prints "port N" on stderr once it listens (the tests' child runner reads
stderr line by line while the process runs), then serves until killed.

  grpc_health_server.py --status =SERVING --status down=NOT_SERVING [--cert C --key K]
                        [--token T]   (then every call must carry "authorization: Bearer T")
"""
import argparse
import sys
from concurrent import futures

import grpc

STATUSES = {"UNKNOWN": 0, "SERVING": 1, "NOT_SERVING": 2, "SERVICE_UNKNOWN": 3}


def read_varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def requested_service(request):
    """Field 1 (string) of a HealthCheckRequest; other fields are skipped."""
    service, i = "", 0
    while i < len(request):
        key, i = read_varint(request, i)
        wire = key & 7
        if wire == 0:
            value, i = read_varint(request, i)
        elif wire == 2:
            size, i = read_varint(request, i)
            value, i = request[i:i + size], i + size
            if key >> 3 == 1:
                service = value.decode()
        else:
            raise ValueError("unexpected wire type %d" % wire)
    return service


def response(status):
    """A HealthCheckResponse: field 1 (enum) as a varint; the values here are all below 128."""
    return bytes([0x08, status]) if status else b""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--status", action="append", default=[], help="SERVICE=STATUS")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--token")
    parser.add_argument("--client-ca", help="require a client certificate this PEM file signs")
    args = parser.parse_args()
    statuses = {}
    for item in args.status:
        service, _, name = item.rpartition("=")
        statuses[service] = STATUSES[name]

    def check(request, context):
        if args.token is not None:
            metadata = dict(context.invocation_metadata())
            if metadata.get("authorization") != "Bearer " + args.token:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "a bearer token is required")
        service = requested_service(request)
        if service not in statuses:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service %s" % service)
        return response(statuses[service])

    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(check)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    if args.cert:
        with open(args.cert, "rb") as c, open(args.key, "rb") as k:
            pair = [(k.read(), c.read())]
        if args.client_ca:
            with open(args.client_ca, "rb") as ca:
                credentials = grpc.ssl_server_credentials(
                    pair, root_certificates=ca.read(), require_client_auth=True)
        else:
            credentials = grpc.ssl_server_credentials(pair)
        port = server.add_secure_port("127.0.0.1:0", credentials)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("port %d" % port, file=sys.stderr, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
