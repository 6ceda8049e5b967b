"""``tools/verify-quotas <cluster>``: can the AWS account launch every pool at its maximum?

Split so that only ``aws`` talks to AWS: ``demand`` (pools -> vCPUs per class and market),
``usage`` (EC2 instances and Spot requests -> vCPUs in use), ``verdict`` (quota, use, plan ->
headroom and findings), ``output`` (text, json, markdown, github), ``cli`` (the command).
"""
