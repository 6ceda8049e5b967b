"""Instance types EC2 sells as Capacity Blocks for ML (pinned; the reservation itself is the
authority, and ``tools/verify-quotas`` compares a pool with it).

Source: Amazon EC2 User Guide, "Capacity Blocks for ML" (ec2-capacity-blocks.html), the list of
supported instance types, and "Work with Capacity Blocks" (capacity-blocks-using.html),
read 2026-12; Capacity Blocks are delivered as targeted Capacity Reservations in one
Availability Zone. A type missing here is a lint finding (CAP042) that names this file, so a
new type is one reviewed line.
"""

from __future__ import annotations

SOURCE = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-capacity-blocks.html"

CAPACITY_BLOCK_TYPES = frozenset(
    {
        "p4d.24xlarge",
        "p4de.24xlarge",
        "p5.4xlarge",
        "p5.48xlarge",
        "p5e.48xlarge",
        "p5en.48xlarge",
        "p6-b200.48xlarge",
        "p6-b300.48xlarge",
        "trn1.32xlarge",
        "trn2.48xlarge",
    }
)
