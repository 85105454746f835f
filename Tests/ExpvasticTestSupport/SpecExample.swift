/// The configuration example of SPEC §1, verbatim: it must load unchanged.
public let specExample = """
    settings:
      log_level: info
    readers:
      FirstApp:
        type: expvar
        type_name: my_app1
        endpoint: localhost:1234
        routepath: /debug/vars
        interval: 500ms
        timeout: 3s
        backoff: 10
    recorders:
      main_elasticsearch:
        type: elasticsearch
        endpoint: 127.0.0.1:9200
        index_name: expvastic
        timeout: 8s
        backoff: 10
    routes:
      route1:
        readers: [FirstApp]
        recorders: [main_elasticsearch]
    """
