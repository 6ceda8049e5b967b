"""Fixtures of the quota tests; they live in ``quota_support`` (a module name no other test
directory uses, so test modules can import its helpers without clashing on ``conftest``)."""

from quota_support import (  # noqa: F401 - fixtures are found by name
    aws,
    aws_operations,
    ec2_standin,
    ec2_standin_server,
    moto_other_account,
    moto_server,
    one_botocore_loader,
    real_repo,
    render_memo,
    repo_copy,
    run_quotas,
    single_pool_repo,
    standin,
    standin_server,
)
