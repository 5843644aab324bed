[photosd]
title="photosd"
desc="Photos (photosd)"
port_forward="yes"
dst.ports="18950-18951/tcp"
